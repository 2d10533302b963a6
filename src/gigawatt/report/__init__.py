"""Reports: HTML (plotly), CSV/JSON tables, terminal tables."""
