"""Server-rendered pages by audience (storefront, gate scanner), with their static files;
``pages.mount_pages`` adds them to the application. Nothing is imported here, so the pure page
rules (``refusals``, ``messages``…) stay importable without FastAPI."""
