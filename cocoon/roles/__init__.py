"""The roles of a COCOON network, each a nursery tree of supervised trio tasks:
client, proxy, worker, router and seal. Each exposes an attrs config class and
`async def run_<role>(config, *, task_status=trio.TASK_STATUS_IGNORED)`."""
