"""Import of accounts and contacts from CSV and XLSX: read, map, clean, de-duplicate, save.

A job is previewed first — a dry run of the real pipeline inside a transaction that
is rolled back — and then run in one transaction, so a file is imported whole or not at
all, unless the user chose to import the valid rows and skip the bad ones. Accounts and
contacts take the bulk path (`bulk.py`: each row checked by the save services' rules,
written in chunks, the dry run writing nothing); other targets go row by row through
their record's save service. `ImportJob.errors` holds one report per
row that needs the user's eye: bad rows (kind "error") and duplicates (kind "duplicate").
"""

from allyance.core.imports.progress import import_job_progress
from allyance.core.imports.reading import (
    ENCODING_CHOICES,
    MAX_ROWS,
    Table,
    read_job_table,
    read_table,
)
from allyance.core.imports.services import (
    field_choices,
    import_job_claim,
    import_job_columns,
    import_job_configure,
    import_job_create,
    import_job_preview,
    import_job_run,
    import_job_sample,
    import_job_start,
    import_jobs_of,
)
from allyance.core.imports.targets import (
    TARGETS,
    DuplicateRule,
    ImportField,
    Target,
    can_import,
    mapping_problems,
    register_target,
    split_full_name,
    suggest_mapping,
    target_for,
    targets_for,
)

__all__ = [
    "ENCODING_CHOICES",
    "MAX_ROWS",
    "TARGETS",
    "DuplicateRule",
    "ImportField",
    "Table",
    "Target",
    "can_import",
    "field_choices",
    "import_job_claim",
    "import_job_columns",
    "import_job_configure",
    "import_job_create",
    "import_job_preview",
    "import_job_progress",
    "import_job_run",
    "import_job_sample",
    "import_job_start",
    "import_jobs_of",
    "mapping_problems",
    "read_job_table",
    "read_table",
    "register_target",
    "split_full_name",
    "suggest_mapping",
    "target_for",
    "targets_for",
]
