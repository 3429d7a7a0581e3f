"""accounts: who is who. Login tokens and their revocation, the directory of roles, the rules for usernames and
display names, finding an account by what a person types, and the operator's account commands.
"""
