"""The schema the app serves: the committed schema.graphql, the public API
contract, and `flask export-schema`."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    build_schema,
)

from tests.support.snapshot import REPO

SCHEMA_FILE = REPO / "schema.graphql"


def contract_types(contract: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        named
        for name, named in sorted(contract.type_map.items())
        if not name.startswith("__")
        and name not in {"String", "Int", "Float", "Boolean", "ID"}
    ]


def kind(named: GraphQLNamedType) -> str:
    return type(named).__name__


def test_committed_schema_file_is_the_served_schema(served_sdl: str) -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    assert committed == served_sdl + "\n", (
        "schema.graphql is out of date: run `make schema` and commit the result"
    )


def field_problems(
    type_name: str,
    contract_fields: dict[str, GraphQLField],
    served_fields: dict[str, GraphQLField],
) -> list[str]:
    problems: list[str] = []
    for name, field in contract_fields.items():
        where = f"{type_name}.{name}"
        served_field = served_fields.get(name)
        if served_field is None:
            problems.append(f"{where} is missing")
            continue
        if str(served_field.type) != str(field.type):
            problems.append(f"{where} is {served_field.type}, not {field.type}")
        problems += argument_problems(where, field.args, served_field.args)
    return problems


def argument_problems(
    where: str,
    contract_args: dict[str, GraphQLArgument],
    served_args: dict[str, GraphQLArgument],
) -> list[str]:
    problems: list[str] = []
    for name, argument in contract_args.items():
        served_argument = served_args.get(name)
        if served_argument is None:
            problems.append(f"{where}({name}:) is missing")
        elif str(served_argument.type) != str(argument.type):
            problems.append(
                f"{where}({name}:) is {served_argument.type}, not {argument.type}"
            )
    for name, argument in served_args.items():
        if name not in contract_args and is_required(argument):
            problems.append(f"{where}({name}:) is an added argument clients must send")
    return problems


def input_field_problems(
    type_name: str,
    contract_fields: dict[str, GraphQLInputField],
    served_fields: dict[str, GraphQLInputField],
) -> list[str]:
    problems: list[str] = []
    for name, field in contract_fields.items():
        served_field = served_fields.get(name)
        if served_field is None:
            problems.append(f"{type_name}.{name} is missing")
        elif str(served_field.type) != str(field.type):
            problems.append(
                f"{type_name}.{name} is {served_field.type}, not {field.type}"
            )
    for name, field in served_fields.items():
        if name not in contract_fields and is_required(field):
            problems.append(f"{type_name}.{name} is an added field clients must send")
    return problems


def is_required(argument: GraphQLArgument | GraphQLInputField) -> bool:
    """Non-null without a default: a client that leaves it out is refused."""
    return (
        isinstance(argument.type, GraphQLNonNull)
        and argument.default_value is Undefined
    )


def type_problems(
    contract_type: GraphQLNamedType, served_type: GraphQLNamedType
) -> list[str]:
    name = contract_type.name
    if type(served_type) is not type(contract_type):
        return [f"{name} is a {kind(served_type)}, not a {kind(contract_type)}"]
    if isinstance(contract_type, (GraphQLObjectType, GraphQLInterfaceType)):
        assert isinstance(served_type, (GraphQLObjectType, GraphQLInterfaceType))
        problems = field_problems(name, contract_type.fields, served_type.fields)
        served_interfaces = {interface.name for interface in served_type.interfaces}
        problems += [
            f"{name} does not implement {interface.name}"
            for interface in contract_type.interfaces
            if interface.name not in served_interfaces
        ]
        return problems
    if isinstance(contract_type, GraphQLInputObjectType):
        assert isinstance(served_type, GraphQLInputObjectType)
        return input_field_problems(name, contract_type.fields, served_type.fields)
    if isinstance(contract_type, GraphQLEnumType):
        assert isinstance(served_type, GraphQLEnumType)
        missing = set(contract_type.values) - set(served_type.values)
        return [f"{name}.{value} is missing" for value in sorted(missing)]
    assert isinstance(contract_type, GraphQLScalarType), f"{name}: unexpected kind"
    return []


def schema_problems(contract: GraphQLSchema, served: GraphQLSchema) -> list[str]:
    """Every way `served` breaks `contract`: a missing or renamed name, another
    type or nullability, or an addition that clients would have to send."""
    problems: list[str] = []
    for contract_type in contract_types(contract):
        served_type = served.type_map.get(contract_type.name)
        if served_type is None:
            problems.append(f"type {contract_type.name} is missing")
        else:
            problems += type_problems(contract_type, served_type)
    return problems


def test_served_schema_has_every_contract_name_with_its_exact_type(
    contract: GraphQLSchema, served: GraphQLSchema
) -> None:
    assert schema_problems(contract, served) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("displayName: String!", "displayName: String", "Contact.displayName is"),
        ("  UPDATED_AT\n", "", "ContactOrderField.UPDATED_AT is missing"),
        (
            'by name."""\n  tags: [Tag!]!',
            'by name."""\n  tags(first: Int!): [Tag!]!',
            "Query.tags(first:) is an added argument",
        ),
        ("expectedVersion: Int", "expectedVersion: Int!", "expectedVersion is Int!"),
        ("PageInfo", "Page", "type PageInfo is missing"),
        ("type Tag implements Node", "type Tag", "Tag does not implement Node"),
    ],
)
def test_contract_check_reports_a_broken_schema(
    contract: GraphQLSchema, served_sdl: str, old: str, new: str, problem: str
) -> None:
    assert old in served_sdl
    broken = build_schema(served_sdl.replace(old, new))

    assert any(problem in found for found in schema_problems(contract, broken))


def test_contract_roots_are_the_served_roots(
    contract: GraphQLSchema, served: GraphQLSchema
) -> None:
    assert contract.query_type
    assert served.query_type
    assert contract.mutation_type
    assert served.mutation_type
    assert (served.query_type.name, served.mutation_type.name) == (
        contract.query_type.name,
        contract.mutation_type.name,
    )


def test_export_schema_prints_the_served_schema(
    schema_app: Flask, served_sdl: str
) -> None:
    result = schema_app.test_cli_runner().invoke(
        args=["export-schema", "--output", "-"]
    )

    assert result.exit_code == 0, result.output
    assert result.output == served_sdl + "\n"


def test_export_schema_writes_the_file(
    schema_app: Flask, served_sdl: str, tmp_path: Path
) -> None:
    target = tmp_path / "schema.graphql"

    result = schema_app.test_cli_runner().invoke(
        args=["export-schema", "--output", str(target)]
    )

    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {target}\n"
    assert target.read_text(encoding="utf-8") == served_sdl + "\n"
