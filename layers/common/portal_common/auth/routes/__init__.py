"""The sign-in pages of a portal, registered on its resolver: one module per Lambda function.

    app = portal_app(templates=Path(__file__).parent / "templates")   # has the portal's portal.html
    sign_in.register(app, PARTNERS)
    lambda_handler = entrypoint(app)

Each module imports only the flows it serves, so each function needs only its own settings.
The pages extend the portal's own ``portal.html`` layout (functions/<portal>/templates/).
"""
