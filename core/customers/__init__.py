"""Customers: finding one by any of its names, and the contract in force.

Entry points: lookup.find_customer / contract_at (the contract in force). Salesforce
sync lives in core.salesforce, above this package.
"""
