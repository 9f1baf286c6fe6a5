"""Encrypt the phone, ID number and address of the petitioners stored before 0011 and fill in their
lookup digests (crypto.rows_encrypt: raw columns, in batches). Reversible: back to plain text (needs the
keys)."""
from django.db import migrations

from xinfang.petitions.crypto import rows_encrypt_operation


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0011_personal_data_encrypted"),
    ]

    operations = [
        rows_encrypt_operation("petitions", "Petitioner", ("id_number", "phone", "address"),
                               {"id_number_digest": ("id_number", "id_number"), "phone_digest": ("phone", "phone")}),
    ]
