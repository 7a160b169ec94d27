"""What the five peer apps share, as a Chalice project keeps it: the ``chalicelib`` package that
``chalice deploy`` ships beside app.py. Functions here take the app's module-level boto3 clients as
arguments (the clients themselves are created by each app at import, Chalice's idiom)."""
