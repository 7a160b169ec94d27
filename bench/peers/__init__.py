"""The Chalice peers of the cold-start benchmark (bench/cold.py): each portal written again as one
Chalice app, in Chalice's own idiom, to compare our functions' cold starts with.

- ``<portal>.py`` is the app.py of a Chalice project: ``app = Chalice(app_name=...)``, module-level
  boto3 clients for every service the portal uses (as Chalice's documentation writes them),
  ``@app.route`` for every route template.yaml declares for the portal (one Lambda function serves
  them all), and the event sources Chalice's way: ``@app.lambda_function`` (the session authorizers),
  ``@app.on_s3_event``, ``@app.on_sqs_message``, ``@app.on_dynamodb_record``, ``@app.schedule``.
  Function URLs (the info site's two pages) are routes of the REST API.
- ``chalicelib/`` is what the apps share, as a Chalice project ships it beside app.py: request and
  answer helpers, signed links and CSRF tokens, the transactional outbox, sign-in (Cognito, ID
  tokens, sessions), intake photos, and the request models.
- ``templates/`` are the pages and emails (Jinja2): ours, or small ones of the same shape.

The same work as our functions, request by request: the same AWS calls (tables, keys, indexes,
conditions, one transaction with the CRM event), the same pydantic constraints on what is read, the
same checks (CSRF, signed links, RS256 ID tokens), a page rendered where ours renders one. Left out:
Powertools logging, metrics and tracing, and OpenAPI request validation (Chalice has none of them).
Each peer answers every sample event of events/ with the same status as our function (checked while
writing them; the benchmark warns when a first answer differs)."""
