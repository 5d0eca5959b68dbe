from tests.integration.production.print_world import printer_sim

__all__ = ["printer_sim"]
