"""Reading accounts, contacts and won deals from a CRM: the contract and its backends."""
