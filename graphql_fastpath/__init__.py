"""A faster GraphQL executor for strawberry on graphql-core.

`FastExecutor` serves plain attribute fields inline and answers exactly as
graphql-core's stock executor does; pass it to `strawberry.Schema` as
`execution_context_class`. The package imports only graphql-core,
strawberry and the standard library; COMPAT.md lists the private names it
uses from each and the versions they were verified against.
"""

from graphql_fastpath.executor import FastExecutor

__all__ = ["FastExecutor"]
