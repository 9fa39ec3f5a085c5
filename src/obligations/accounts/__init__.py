"""Web accounts: users and their roles, passwords and tokens, who may see and change what
(access is checked here, in the services), and the login throttle."""
