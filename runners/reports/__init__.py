"""Reading runs back: the report, its charts and metrics, and exports to other formats."""
