"""The gateway's rules, free of I/O: passwords, roles, sign-in lockout, rate limits, the route
table and the merged API description, and the errors a rule refuses a request with."""
