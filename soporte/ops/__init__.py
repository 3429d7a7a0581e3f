"""ops: running soporte. The agents' operations page and every process's figures (the fleet, over Redis), the
health checks for load balancers, and the command line.
"""
