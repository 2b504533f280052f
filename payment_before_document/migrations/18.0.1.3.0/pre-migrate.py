"""18.0.1.3.0 (pre): the deliverable models take the add-on's prefix.

``account.move.deliverable`` becomes ``pbd.deliverable`` and
``account.move.deliverable.download`` becomes ``pbd.deliverable.download``.
Before the new code loads, everything that names them is renamed in place, so
that Odoo finds its tables, records and references instead of creating empty
new ones and deleting the old:

- the tables, their id sequences, and the constraints and indexes Odoo and
  PostgreSQL named after the tables (primary key, foreign keys, unique and
  check constraints, ``<table>__<column>_index``), with their rows in
  ``ir_model_constraint``;
- ``ir_model``, ``ir_model_fields`` (the fields' model and the relational
  fields pointing to the models, a firm's custom fields included), many2many
  tables and columns named after the old tables (``ir_model_relation``);
- the XML ids derived from the model names (``model_``, ``field_``,
  ``selection__``, ``constraint_``, ``model_inherit__``, in any module) and the add-on's own
  (access rights, record rules, views, actions, menus): the records are
  updated in place, so a firm's views inheriting ours and its favourites stay;
- every stored column that holds a model name (attachments, messages,
  followers, activities, actions, views, filters, templates, XML ids...),
  found from the fields' definitions rather than from a list, and the
  reference columns (``'model,id'`` values);
- the quoted model names in the code of server actions (a firm's automations).

The evidence log's hashes do not include model or table names (previous hash,
request id, event, timestamp, payload): the chain verifies unchanged.

Nothing happens on a database that no longer has the old tables (a fresh
install, or this script run a second time).
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.sql import column_exists, make_index_name, table_exists

_logger = logging.getLogger(__name__)

MODULE = "payment_before_document"
# (old model, new model), the longer old name first: one name is the other's prefix.
MODELS = (
    ("account.move.deliverable.download", "pbd.deliverable.download"),
    ("account.move.deliverable", "pbd.deliverable"),
)
# The add-on's own XML ids named after the models (old -> new).
XMLIDS = {
    "account_move_deliverable_view_list": "pbd_deliverable_view_list",
    "account_move_deliverable_view_form": "pbd_deliverable_view_form",
    "account_move_deliverable_view_search": "pbd_deliverable_view_search",
    "account_move_deliverable_action": "pbd_deliverable_action",
    "action_account_move_deliverable": "pbd_deliverable_action",
    "menu_account_move_deliverable": "menu_pbd_deliverable",
    "account_move_deliverable_download_view_list": "pbd_deliverable_download_view_list",
    "account_move_deliverable_download_action": "pbd_deliverable_download_action",
    "action_account_move_deliverable_download": "pbd_deliverable_download_action",
    "menu_account_move_deliverable_download": "menu_pbd_deliverable_download",
    "account_move_deliverable_rule_company": "pbd_deliverable_rule_company",
    "account_move_deliverable_download_rule_company": "pbd_deliverable_download_rule_company",
    "access_account_move_deliverable_readonly": "access_pbd_deliverable_readonly",
    "access_account_move_deliverable_invoice": "access_pbd_deliverable_invoice",
    "access_account_move_deliverable_download_readonly": "access_pbd_deliverable_download_readonly",
    "access_account_move_deliverable_download_invoice": "access_pbd_deliverable_download_invoice",
}
# Names of stored char/selection fields that hold a model name across Odoo
# (res_model, model, model_name, ir.filters' model_id, ir.exports' resource...).
MODEL_NAME_FIELDS = (
    "model",
    "res_model",
    "model_name",
    "res_model_name",
    "parent_res_model",
    "model_id",
    "resource",
    "binding_model",
)


def _table(model_name):
    return model_name.replace(".", "_")


def _rename_prefixed(old_name, old_table, new_table):
    """``old_name`` named after the new table, or None when nothing in it names an old one.

    The table's prefix is replaced, then any old model table in the rest (PostgreSQL
    shortens long default names, e.g. ``x_account_move_deliverable_re_..._idx``).
    """
    new_name = old_name
    if new_name.startswith(f"{old_table}_"):
        new_name = new_table + new_name[len(old_table) :]
    for old_model, new_model in MODELS:
        new_name = new_name.replace(_table(old_model), _table(new_model))
    return new_name if new_name != old_name else None


def _rename_table(cr, old_table, new_table):
    """Rename the table, its id sequence, and the constraints and indexes named after it."""
    cr.execute(SQL("ALTER TABLE %s RENAME TO %s", SQL.identifier(old_table), SQL.identifier(new_table)))
    if _sequence_exists(cr, f"{old_table}_id_seq"):
        cr.execute(
            SQL(
                "ALTER SEQUENCE %s RENAME TO %s",
                SQL.identifier(f"{old_table}_id_seq"),
                SQL.identifier(f"{new_table}_id_seq"),
            )
        )
    renamed = {}
    # Constraints first (renaming one renames the index behind a primary key or a unique one).
    cr.execute(
        SQL(
            "SELECT con.conname FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid"
            " WHERE rel.relname = %s AND rel.relkind = 'r' ORDER BY con.conname",
            new_table,
        )
    )
    for (conname,) in cr.fetchall():
        new_name = _rename_prefixed(conname, old_table, new_table)
        if new_name:
            cr.execute(
                SQL(
                    "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
                    SQL.identifier(new_table),
                    SQL.identifier(conname),
                    SQL.identifier(new_name),
                )
            )
            renamed[conname] = new_name
    # Indexes: Odoo's "<table>__<column>_index" (hashed when longer than 63
    # characters), then any other named after the table.
    cr.execute(
        SQL(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
            " AND NOT attisdropped",
            new_table,
        )
    )
    expected = {
        make_index_name(old_table, column): make_index_name(new_table, column) for (column,) in cr.fetchall()
    }
    cr.execute(
        SQL(
            "SELECT idx.relname FROM pg_index i JOIN pg_class idx ON idx.oid = i.indexrelid"
            " JOIN pg_class rel ON rel.oid = i.indrelid WHERE rel.relname = %s ORDER BY idx.relname",
            new_table,
        )
    )
    for (index_name,) in cr.fetchall():
        new_name = expected.get(index_name) or _rename_prefixed(index_name, old_table, new_table)
        if new_name and new_name != index_name:
            cr.execute(
                SQL("ALTER INDEX %s RENAME TO %s", SQL.identifier(index_name), SQL.identifier(new_name))
            )
            renamed[index_name] = new_name
    # What Odoo recorded of the constraints (dropped by name at uninstall), and their XML ids.
    for old_name, new_name in renamed.items():
        cr.execute(SQL("UPDATE ir_model_constraint SET name = %s WHERE name = %s", new_name, old_name))
        _rename_xmlid_exact(cr, "ir.model.constraint", f"constraint_{old_name}", f"constraint_{new_name}")
    return renamed


def _sequence_exists(cr, name):
    cr.execute(SQL("SELECT 1 FROM pg_class WHERE relkind = 'S' AND relname = %s", name))
    return bool(cr.fetchone())


def _rename_xmlid_exact(cr, model, old_name, new_name):
    """Rename the XML id of a ``model`` record in any module, unless that module has the new one."""
    cr.execute(
        SQL(
            "UPDATE ir_model_data AS data SET name = %s WHERE data.model = %s AND data.name = %s"
            " AND NOT EXISTS (SELECT 1 FROM ir_model_data other WHERE other.module = data.module"
            " AND other.name = %s)",
            new_name,
            model,
            old_name,
            new_name,
        )
    )


def _rename_xmlid_prefix(cr, model, old_prefix, new_prefix):
    """``<old_prefix>rest`` -> ``<new_prefix>rest`` for the XML ids of ``model`` records, in any module."""
    cr.execute(
        SQL(
            "UPDATE ir_model_data AS data SET name = %s || substr(data.name, %s)"
            " WHERE data.model = %s AND left(data.name, %s) = %s AND NOT EXISTS"
            " (SELECT 1 FROM ir_model_data other WHERE other.module = data.module"
            " AND other.name = %s || substr(data.name, %s))",
            new_prefix,
            len(old_prefix) + 1,
            model,
            len(old_prefix),
            old_prefix,
            new_prefix,
            len(old_prefix) + 1,
        )
    )


def _rename_inherit_parent_xmlids(cr, old_x, new_x):
    """``model_inherit__<child>__<old>`` -> ``model_inherit__<child>__<new>`` (a model inheriting ours)."""
    old_suffix, new_suffix = f"__{old_x}", f"__{new_x}"
    cr.execute(
        SQL(
            "UPDATE ir_model_data AS data SET name = left(data.name, -%s) || %s"
            " WHERE data.model = 'ir.model.inherit' AND left(data.name, 15) = 'model_inherit__'"
            " AND right(data.name, %s) = %s AND NOT EXISTS (SELECT 1 FROM ir_model_data other"
            " WHERE other.module = data.module AND other.name = left(data.name, -%s) || %s)",
            len(old_suffix),
            new_suffix,
            len(old_suffix),
            old_suffix,
            len(old_suffix),
            new_suffix,
        )
    )


def _model_table(env, model_name):
    model = env.registry.get(model_name)
    if model is not None:
        return model._table if model._auto and not model._abstract else None
    return _table(model_name)


def _model_name_columns(env):
    """The stored (table, column) pairs that hold a model name, from the fields' definitions."""
    cr = env.cr
    found = set()
    # By name: stored char and selection fields called like Odoo's model-name fields.
    cr.execute(
        SQL(
            "SELECT model, name FROM ir_model_fields WHERE store AND ttype IN ('char', 'selection')"
            " AND name IN %s",
            MODEL_NAME_FIELDS,
        )
    )
    found.update(cr.fetchall())
    # By meaning: stored fields related to the technical name of an ir.model (x_id.model).
    cr.execute(
        SQL(
            "SELECT field.model, field.name FROM ir_model_fields field"
            " JOIN ir_model_fields first ON first.model = field.model"
            " AND first.name = split_part(field.related, '.', 1)"
            " WHERE field.store AND field.ttype IN ('char', 'selection')"
            " AND right(field.related, 6) = '.model' AND first.relation = 'ir.model'"
        )
    )
    found.update(cr.fetchall())
    # The model fields of the many2one_reference fields (res_id <- res_model) of the loaded models.
    for model_name in list(env.registry):
        model = env.registry[model_name]
        for field in model._fields.values():
            if field.type == "many2one_reference" and field.store and field.model_field:
                found.add((model_name, field.model_field))
    columns = set()
    for model_name, column in found:
        table = _model_table(env, model_name)
        if table and table_exists(cr, table) and column_exists(cr, table, column):
            columns.add((table, column))
    return sorted(columns)


def _reference_columns(env):
    """The stored reference fields ('model,id' values)."""
    cr = env.cr
    cr.execute(SQL("SELECT model, name FROM ir_model_fields WHERE store AND ttype = 'reference'"))
    columns = set()
    for model_name, column in cr.fetchall():
        table = _model_table(env, model_name)
        if table and table_exists(cr, table) and column_exists(cr, table, column):
            columns.add((table, column))
    return sorted(columns)


def _rename_relation_tables(env, tables):
    """Many2many tables and columns named after an old table (Odoo's default names)."""
    cr = env.cr
    new_models = tuple(new for _old, new in MODELS)
    cr.execute(
        SQL(
            "SELECT id, model, relation, relation_table, column1, column2 FROM ir_model_fields"
            " WHERE ttype = 'many2many' AND (model IN %s OR relation IN %s)",
            new_models,
            new_models,
        )
    )
    old_table_of = {new: _table(old) for old, new in MODELS}
    new_table_of = {new: tables[_table(old)] for old, new in MODELS}
    for field_id, model, relation, relation_table, column1, column2 in cr.fetchall():
        old1 = old_table_of.get(model) or _model_table(env, model)
        old2 = old_table_of.get(relation) or _model_table(env, relation)
        new1 = new_table_of.get(model) or old1
        new2 = new_table_of.get(relation) or old2
        if not (old1 and old2):
            continue
        new_relation_table = relation_table
        for prefix in ("", "x_"):
            if relation_table == prefix + "{}_{}_rel".format(*sorted([old1, old2])):
                new_relation_table = prefix + "{}_{}_rel".format(*sorted([new1, new2]))
        if (
            new_relation_table != relation_table
            and table_exists(cr, relation_table)
            and not table_exists(cr, new_relation_table)
        ):
            _rename_table(cr, relation_table, new_relation_table)
            cr.execute(
                SQL(
                    "UPDATE ir_model_relation SET name = %s WHERE name = %s",
                    new_relation_table,
                    relation_table,
                )
            )
        new_columns = []
        for column in (column1, column2):
            new_column = column
            for old_table, new_table in tables.items():
                if column == f"{old_table}_id":
                    new_column = f"{new_table}_id"
            if (
                new_column != column
                and column_exists(cr, new_relation_table, column)
                and not column_exists(cr, new_relation_table, new_column)
            ):
                cr.execute(
                    SQL(
                        "ALTER TABLE %s RENAME COLUMN %s TO %s",
                        SQL.identifier(new_relation_table),
                        SQL.identifier(column),
                        SQL.identifier(new_column),
                    )
                )
            new_columns.append(new_column)
        cr.execute(
            SQL(
                "UPDATE ir_model_fields SET relation_table = %s, column1 = %s, column2 = %s WHERE id = %s",
                new_relation_table,
                new_columns[0],
                new_columns[1],
                field_id,
            )
        )


def migrate(cr, version):
    todo = [
        (old, new)
        for old, new in MODELS
        if table_exists(cr, _table(old)) and not table_exists(cr, _table(new))
    ]
    if not version or not todo:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    model_name_columns = _model_name_columns(env)
    reference_columns = _reference_columns(env)

    tables = {}
    for old, new in todo:
        tables[_table(old)] = _table(new)
        renamed = _rename_table(cr, _table(old), _table(new))
        _logger.info("%s -> %s: table, sequence and %s constraints/indexes renamed", old, new, len(renamed))

    for old, new in todo:
        old_x, new_x = _table(old), _table(new)
        cr.execute(SQL("UPDATE ir_model SET model = %s WHERE model = %s", new, old))
        cr.execute(SQL("UPDATE ir_model_fields SET model = %s WHERE model = %s", new, old))
        cr.execute(SQL("UPDATE ir_model_fields SET relation = %s WHERE relation = %s", new, old))
        _rename_xmlid_exact(cr, "ir.model", f"model_{old_x}", f"model_{new_x}")
        _rename_xmlid_prefix(cr, "ir.model.fields", f"field_{old_x}__", f"field_{new_x}__")
        _rename_xmlid_prefix(
            cr, "ir.model.fields.selection", f"selection__{old_x}__", f"selection__{new_x}__"
        )
        _rename_xmlid_prefix(cr, "ir.model.inherit", f"model_inherit__{old_x}__", f"model_inherit__{new_x}__")
        _rename_inherit_parent_xmlids(cr, old_x, new_x)
        for table, column in model_name_columns:
            cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE %s = %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    new,
                    SQL.identifier(column),
                    old,
                )
            )
        # Server actions (a firm's automations) naming the model in their code: the quoted name.
        for quote in ("'", '"'):
            cr.execute(
                SQL(
                    "UPDATE ir_act_server SET code = replace(code, %s, %s) WHERE strpos(code, %s) > 0",
                    f"{quote}{old}{quote}",
                    f"{quote}{new}{quote}",
                    f"{quote}{old}{quote}",
                )
            )
        for table, column in reference_columns:
            cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s || substr(%s, %s) WHERE left(%s, %s) = %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    f"{new},",
                    SQL.identifier(column),
                    len(old) + 2,
                    SQL.identifier(column),
                    len(old) + 1,
                    f"{old},",
                )
            )
    _rename_relation_tables(env, tables)

    for old_name, new_name in XMLIDS.items():
        cr.execute(
            SQL(
                "UPDATE ir_model_data SET name = %s WHERE module = %s AND name = %s"
                " AND NOT EXISTS (SELECT 1 FROM ir_model_data WHERE module = %s AND name = %s)",
                new_name,
                MODULE,
                old_name,
                MODULE,
                new_name,
            )
        )
    _logger.info(
        "Deliverable models renamed %s; model names updated in %s columns and %s reference columns",
        todo,
        len(model_name_columns),
        len(reference_columns),
    )
