from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

from portal.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    """Within an association no two postcode ranges overlap, and an area has at most one
    contract on any date. The admin checks both with a message naming the clash; on
    PostgreSQL the database guards them too, also against two staff saving at once."""

    dependencies = [("contractors", "0002_initial")]

    operations = [
        BtreeGistExtension(),
        PostgresOnlySQL(
            sql=(
                "ALTER TABLE contractors_postcoderule ADD CONSTRAINT postcoderule_ranges_disjoint "
                "EXCLUDE USING gist (organisation_id WITH =, "
                "int4range(range_start, range_end, '[]') WITH &&) WHERE (postcode IS NULL)"
            ),
            reverse_sql="ALTER TABLE contractors_postcoderule DROP CONSTRAINT postcoderule_ranges_disjoint",
        ),
        PostgresOnlySQL(
            sql=(
                "ALTER TABLE contractors_contract ADD CONSTRAINT contract_one_per_area_per_date "
                "EXCLUDE USING gist (area_id WITH =, daterange(valid_from, valid_until, '[]') WITH &&)"
            ),
            reverse_sql="ALTER TABLE contractors_contract DROP CONSTRAINT contract_one_per_area_per_date",
        ),
    ]
