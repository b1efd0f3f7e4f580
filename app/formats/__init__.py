"""Contact files in and out: vCard and CSV.

- record.py: `ContactData` and `ParsedRecord`, the shape every reader
  produces and every writer takes;
- sniffing.py: a file's encoding (its byte-order mark) and format (its
  first line);
- vcard.py: vCard 2.1, 3.0 and 4.0 read, 3.0 and 4.0 written;
- csv_formats.py: Google's and Outlook's CSV exports and our own read,
  our own written.

Nothing here touches the database or checks a value against the API's
rules: that is the import's work (app/services/imports.py).
"""
