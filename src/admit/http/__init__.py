"""HTTP plumbing shared by the slices' routers: runtime, dependencies, error mapping."""
