"""The machine interface: VERA OHD 4.3 for contractors' planning systems and associations'
ERPs, at /api/vera/ohd/v4/, with OAuth2 client credentials (django-oauth-toolkit).

Layer: above portal, outbox, contractors, repairs and surveys, which it reads and writes
through their selectors and services; nothing imports it but the demo.

- models.py / services.py / admin.py: API clients (one contractor or one association each),
  made and revoked; management command api_client_create for scripts.
- oauth.py, authentication.py, permissions.py, scopes.py, throttling.py: who calls (a token
  of an active client), what it may reach (OHD's scopes per resource), how often.
- errors.py, pagination.py: OHD's Foutbericht and paging for every operation.
- selectors.py: what a client may read; views.py and serializers.py: one view per OHD
  operation (operation_id as OHD names it), rendering in OHD's field names and VERA codes.
- spec/OHD.yaml (MIT, with its licence): the standard, which tests/test_api_contract.py
  checks every answer against; data/: the few VERA reference codes repairs does not keep.

A new operation: a view inheriting views.OhdView with `ohd_resource` and OHD's operation_id
and path, a selector or a service of the app whose data it is, its answers added to the
contract test (which fails until every served operation is there) and to the role matrix.
tests/test_api_schemathesis.py then calls it with generated requests (Schemathesis) and
checks every answer against our own schema: give it real ids or bodies there if it needs
them to reach its success.
"""
