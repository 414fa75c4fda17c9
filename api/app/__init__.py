"""The researchers' web app (issue 12): pages for people who do not write SPARQL, served by
the same service. `api.app.routes.install(app)` registers its routes; the security headers
of every page are api/security.py's."""
