"""The OAuth web-server flow that connects an account to a Salesforce org."""
