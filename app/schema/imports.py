"""importContacts: a vCard or CSV file's text in, one answer per record out."""

from __future__ import annotations

from collections.abc import Mapping

import strawberry
from flask import current_app

from app import models
from app.errors import InvalidInput
from app.formats.sniffing import Format
from app.schema.common import UserError, given, user_errors
from app.schema.contact import Contact
from app.schema.context import Info
from app.schema.lookahead import selected_below
from app.services import imports, rate_limits

ImportFormat = strawberry.enum(
    Format, name="ImportFormat", description="The kind of file imported."
)
ImportStatus = strawberry.enum(
    imports.ImportStatus,
    description=(
        "What became of a record: IMPORTED (created), DUPLICATE (it matches "
        "a contact of the account or an earlier record of the file; created "
        "too unless skipDuplicates), SKIPPED (nothing in it that names a "
        "contact), FAILED (a value that could not be read or is invalid)."
    ),
)


@strawberry.input(description="A contact file, as text.")
class ImportContactsInput:
    data: str = strawberry.field(
        description=(
            "The file's text: vCard 2.1, 3.0 or 4.0, or CSV (Google's, "
            "Outlook's or our own export's header). A leading byte-order mark "
            "is ignored. The request may be up to IMPORT_MAX_BYTES (5 MB by "
            "default), the file at most IMPORT_MAX_RECORDS records."
        )
    )
    format: ImportFormat | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="Default: detected (a file starting BEGIN:VCARD is a vCard).",
    )
    dry_run: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Answer exactly as the import would (statuses, errors, "
            "duplicateOf, counts) but create nothing: `contact` is null. "
            "Default false."
        ),
    )
    phone_region: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "An ISO 3166-1 alpha-2 code (US, GB…): the region the file's "
            "national phone numbers, written without +country code (as "
            "Google's and Outlook's CSV exports write them), are read in. "
            "Without it such a number fails its record."
        ),
    )
    skip_duplicates: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "true: a DUPLICATE record is not created, so importing the same "
            "file again changes nothing. false (the default): it is created "
            "too (every record of the file is then in the address book) and "
            "still reported as DUPLICATE with duplicateOf, ready to merge."
        ),
    )


@strawberry.type(description="One record (vCard or CSV row) of the file.")
class ImportRecord:
    index: int = strawberry.field(description="0-based position in the file.")
    status: ImportStatus  # type: ignore[valid-type]
    contact: Contact | None = strawberry.field(
        description="The contact created from it; null with dryRun or when none was."
    )
    duplicate_of: Contact | None = strawberry.field(
        description=(
            "The contact it duplicates: one of the account's, or the one an "
            "earlier record of the file became (null for an earlier record "
            "with dryRun, or when that record was not created)."
        )
    )
    errors: list[UserError] = strawberry.field(
        description=(
            'Why it failed, or was skipped; paths start ["records", "<index>", '
            "…] and go on as createContact's input paths."
        )
    )


@strawberry.type
class ImportContactsPayload:
    imported_count: int = strawberry.field(
        description=(
            "Records IMPORTED. The contacts created are these, and the "
            "duplicates unless skipDuplicates."
        )
    )
    duplicate_count: int = strawberry.field(description="Records DUPLICATE.")
    skipped_count: int = strawberry.field(description="Records SKIPPED.")
    failed_count: int = strawberry.field(description="Records FAILED.")
    records: list[ImportRecord] = strawberry.field(
        description="Every record of the file, in order; [] with userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        description=(
            'About the whole file, at ["input", "data"] (not a contact file, '
            "no records, more than IMPORT_MAX_RECORDS): nothing was imported."
        )
    )

    @classmethod
    def refused(cls, error: InvalidInput) -> ImportContactsPayload:
        return cls(
            imported_count=0,
            duplicate_count=0,
            skipped_count=0,
            failed_count=0,
            records=[],
            user_errors=user_errors(error),
        )

    @classmethod
    def of(
        cls, report: imports.ImportReport, contacts: Mapping[int, models.Contact]
    ) -> ImportContactsPayload:
        """The report, with the contacts its records name (those selected)."""

        def shown(contact_id: int | None) -> Contact | None:
            contact = contacts.get(contact_id) if contact_id is not None else None
            return Contact.from_model(contact) if contact is not None else None

        return cls(
            imported_count=report.totals.imported,
            duplicate_count=report.totals.duplicates,
            skipped_count=report.totals.skipped,
            failed_count=report.totals.failed,
            records=[
                ImportRecord(
                    index=record.index,
                    status=record.status,
                    contact=shown(record.contact_id),
                    duplicate_of=shown(record.duplicate_of_id),
                    errors=user_errors(InvalidInput(list(record.errors))),
                )
                for record in report.records
            ],
            user_errors=[],
        )


def _uses(records: int) -> int:
    """Uses of the login's token an import counts (its rate limit): one per
    record, as a batch counts its items, but no more than the limit's
    shortest window holds, so that the largest import can run at all."""
    window = min(
        item.amount for item in rate_limits.current().limits[rate_limits.PER_TOKEN]
    )
    return max(1, min(records, window))


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description=(
            "Import a vCard or CSV file: each record is checked by "
            "createContact's rules and matched against the account's contacts "
            "and the file's earlier records (same email, same phone, or same "
            "name with nothing contradicting it). All of it in one "
            "transaction, each contact in history and sync as CREATED. "
            "Counts one request per record (at most a window's worth) "
            "against the rate limits, and by its records in the query cost."
        )
    )
    def import_contacts(
        self, info: Info, input: ImportContactsInput
    ) -> ImportContactsPayload:
        limit: int = current_app.config["IMPORT_MAX_RECORDS"]
        records = min(imports.most_records(input.data), limit)
        viewer = info.context.require_viewer(uses=_uses(records))
        try:
            options = imports.ImportOptions(
                dry_run=bool(given(input.dry_run)),
                skip_duplicates=bool(given(input.skip_duplicates)),
                phone_region=imports.phone_region(given(input.phone_region)),
            )
            report = imports.import_text(
                viewer.id, input.data, given(input.format), options, limit
            )
        except InvalidInput as error:
            return ImportContactsPayload.refused(error)
        info.context.forget_tag_counts()
        return ImportContactsPayload.of(report, _contacts(info, viewer.id, report))


def _contacts(
    info: Info, user_id: int, report: imports.ImportReport
) -> dict[int, models.Contact]:
    """The contacts the records name, read only when the query selects them
    (a few statements for the whole file)."""
    selected = selected_below(info, ("records",))
    ids = [
        contact_id
        for record in report.records
        for name, contact_id in (
            ("contact", record.contact_id),
            ("duplicateOf", record.duplicate_of_id),
        )
        if contact_id is not None and name in selected
    ]
    return imports.contacts_by_id(user_id, ids) if ids else {}
