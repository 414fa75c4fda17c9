"""The HTTP service: create_app(settings) and one router per surface."""
