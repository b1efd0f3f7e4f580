"""`node(id)`: any object by its global ID, if the viewer may see it."""

from __future__ import annotations

import strawberry

from app.schema.auth import User
from app.schema.common import Node
from app.schema.contact import Contact, Tag
from app.schema.context import Info
from app.schema.ids import from_global_id
from app.schema.merges import ContactMerge
from app.schema.sessions import Session
from app.services import contacts, merges, sessions


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Null when missing or not the viewer's.")
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        viewer = info.context.require_viewer()
        type_name, pk = from_global_id(id)
        session_id = info.context.authentication.session_id
        if isinstance(pk, str):  # a Session: its UUID
            found = sessions.live_session(viewer.id, pk)
            return Session.from_record(found, session_id) if found else None
        if type_name == "User":
            return User.from_model(viewer, session_id) if pk == viewer.id else None
        if type_name == "Contact":
            contact = contacts.get_contact(viewer.id, pk)
            return Contact.from_model(contact) if contact else None
        if type_name == "ContactMerge":
            merge = merges.get_merge(viewer.id, pk)
            return ContactMerge.from_model(merge) if merge else None
        tag = contacts.get_tag(viewer.id, pk)
        return Tag.from_model(tag) if tag else None
