"""The analysts' review workspace: a server-rendered Starlette app over the policywatch database.

``app`` builds it; ``auth`` holds sessions, CSRF, roles and the login throttle; ``accounts``
the users and their hashed secrets; ``queue`` the review queue's filters; the ``pages_*``
modules the routes; ``api`` the token-authenticated JSON endpoints.
"""
