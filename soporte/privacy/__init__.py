"""The customer's data: what is stored about a customer, exported as one archive or erased everywhere."""
