"""posts.render_version: bumped by triggers on what a post's cached fragment shows

Revision ID: c4e6a8b0d2f5
Revises: c4e6a8d0f2b5
Create Date: 2026-12-03 14:10:00

The thread page caches each post's rendered HTML under this number (forum/fragments.py);
the triggers (forum/render_versions.py) move it with the post, its author's public profile,
their library's or organisation's name, the post's attachments and its thread's moderation
state, for ORM, Core and raw SQL writes alike.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f5'
down_revision = 'c4e6a8d0f2b5'
branch_labels = None
depends_on = None

# As forum/render_versions.py had them when this revision was written.
SQLITE = [
    'CREATE TRIGGER render_version_posts AFTER UPDATE ON posts WHEN NEW.render_version IS OLD.render_version BEGIN UPDATE posts SET render_version = render_version + 1 WHERE id = NEW.id; END',
    'CREATE TRIGGER render_version_users_update AFTER UPDATE ON users FOR EACH ROW WHEN NEW.username IS NOT OLD.username OR NEW.display_name IS NOT OLD.display_name OR NEW.deleted_at IS NOT OLD.deleted_at OR NEW.library_id IS NOT OLD.library_id OR NEW.partner_id IS NOT OLD.partner_id BEGIN UPDATE posts SET render_version = render_version + 1 WHERE author_id = NEW.id; END',
    'CREATE TRIGGER render_version_libraries_update AFTER UPDATE ON libraries FOR EACH ROW WHEN NEW.name IS NOT OLD.name BEGIN UPDATE posts SET render_version = render_version + 1 WHERE author_id IN (SELECT id FROM users WHERE library_id = NEW.id); END',
    'CREATE TRIGGER render_version_partners_update AFTER UPDATE ON partners FOR EACH ROW WHEN NEW.name IS NOT OLD.name BEGIN UPDATE posts SET render_version = render_version + 1 WHERE author_id IN (SELECT id FROM users WHERE partner_id = NEW.id); END',
    'CREATE TRIGGER render_version_attachments_insert AFTER INSERT ON attachments FOR EACH ROW BEGIN UPDATE posts SET render_version = render_version + 1 WHERE id = NEW.post_id; END',
    'CREATE TRIGGER render_version_attachments_update AFTER UPDATE ON attachments FOR EACH ROW BEGIN UPDATE posts SET render_version = render_version + 1 WHERE id = NEW.post_id; UPDATE posts SET render_version = render_version + 1 WHERE id = OLD.post_id; END',
    'CREATE TRIGGER render_version_attachments_delete AFTER DELETE ON attachments FOR EACH ROW BEGIN UPDATE posts SET render_version = render_version + 1 WHERE id = OLD.post_id; END',
    'CREATE TRIGGER render_version_threads_update AFTER UPDATE ON threads FOR EACH ROW WHEN NEW.kind IS NOT OLD.kind OR NEW.author_id IS NOT OLD.author_id OR NEW.locked IS NOT OLD.locked OR NEW.hidden IS NOT OLD.hidden OR NEW.hidden_reason IS NOT OLD.hidden_reason OR NEW.withdrawn_at IS NOT OLD.withdrawn_at OR NEW.waiting IS NOT OLD.waiting OR NEW.accepted_post_id IS NOT OLD.accepted_post_id OR NEW.regency IS NOT OLD.regency OR NEW.province IS NOT OLD.province BEGIN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = NEW.id; END',
    'CREATE TRIGGER render_version_practice_verifications_insert AFTER INSERT ON practice_verifications FOR EACH ROW BEGIN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = NEW.thread_id; END',
    'CREATE TRIGGER render_version_practice_verifications_update AFTER UPDATE ON practice_verifications FOR EACH ROW BEGIN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = NEW.thread_id; UPDATE posts SET render_version = render_version + 1 WHERE thread_id = OLD.thread_id; END',
    'CREATE TRIGGER render_version_practice_verifications_delete AFTER DELETE ON practice_verifications FOR EACH ROW BEGIN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = OLD.thread_id; END',
]
POSTGRESQL = [
    'CREATE OR REPLACE FUNCTION render_version_posts() RETURNS trigger AS $$ BEGIN IF NEW.render_version IS NOT DISTINCT FROM OLD.render_version THEN NEW.render_version := OLD.render_version + 1; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql',
    'CREATE TRIGGER render_version_posts BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION render_version_posts()',
    "CREATE OR REPLACE FUNCTION render_version_users() RETURNS trigger AS $$ BEGIN IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND FALSE) THEN UPDATE posts SET render_version = render_version + 1 WHERE author_id = OLD.id; END IF; IF TG_OP <> 'DELETE' THEN UPDATE posts SET render_version = render_version + 1 WHERE author_id = NEW.id; END IF; RETURN NULL; END; $$ LANGUAGE plpgsql",
    'CREATE TRIGGER render_version_users AFTER UPDATE ON users FOR EACH ROW WHEN (NEW.username IS DISTINCT FROM OLD.username OR NEW.display_name IS DISTINCT FROM OLD.display_name OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at OR NEW.library_id IS DISTINCT FROM OLD.library_id OR NEW.partner_id IS DISTINCT FROM OLD.partner_id) EXECUTE FUNCTION render_version_users()',
    "CREATE OR REPLACE FUNCTION render_version_libraries() RETURNS trigger AS $$ BEGIN IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND FALSE) THEN UPDATE posts SET render_version = render_version + 1 WHERE author_id IN (SELECT id FROM users WHERE library_id = OLD.id); END IF; IF TG_OP <> 'DELETE' THEN UPDATE posts SET render_version = render_version + 1 WHERE author_id IN (SELECT id FROM users WHERE library_id = NEW.id); END IF; RETURN NULL; END; $$ LANGUAGE plpgsql",
    'CREATE TRIGGER render_version_libraries AFTER UPDATE ON libraries FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION render_version_libraries()',
    "CREATE OR REPLACE FUNCTION render_version_partners() RETURNS trigger AS $$ BEGIN IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND FALSE) THEN UPDATE posts SET render_version = render_version + 1 WHERE author_id IN (SELECT id FROM users WHERE partner_id = OLD.id); END IF; IF TG_OP <> 'DELETE' THEN UPDATE posts SET render_version = render_version + 1 WHERE author_id IN (SELECT id FROM users WHERE partner_id = NEW.id); END IF; RETURN NULL; END; $$ LANGUAGE plpgsql",
    'CREATE TRIGGER render_version_partners AFTER UPDATE ON partners FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION render_version_partners()',
    "CREATE OR REPLACE FUNCTION render_version_attachments() RETURNS trigger AS $$ BEGIN IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND TRUE) THEN UPDATE posts SET render_version = render_version + 1 WHERE id = OLD.post_id; END IF; IF TG_OP <> 'DELETE' THEN UPDATE posts SET render_version = render_version + 1 WHERE id = NEW.post_id; END IF; RETURN NULL; END; $$ LANGUAGE plpgsql",
    'CREATE TRIGGER render_version_attachments AFTER INSERT OR UPDATE OR DELETE ON attachments FOR EACH ROW EXECUTE FUNCTION render_version_attachments()',
    "CREATE OR REPLACE FUNCTION render_version_threads() RETURNS trigger AS $$ BEGIN IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND FALSE) THEN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = OLD.id; END IF; IF TG_OP <> 'DELETE' THEN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = NEW.id; END IF; RETURN NULL; END; $$ LANGUAGE plpgsql",
    'CREATE TRIGGER render_version_threads AFTER UPDATE ON threads FOR EACH ROW WHEN (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.author_id IS DISTINCT FROM OLD.author_id OR NEW.locked IS DISTINCT FROM OLD.locked OR NEW.hidden IS DISTINCT FROM OLD.hidden OR NEW.hidden_reason IS DISTINCT FROM OLD.hidden_reason OR NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at OR NEW.waiting IS DISTINCT FROM OLD.waiting OR NEW.accepted_post_id IS DISTINCT FROM OLD.accepted_post_id OR NEW.regency IS DISTINCT FROM OLD.regency OR NEW.province IS DISTINCT FROM OLD.province) EXECUTE FUNCTION render_version_threads()',
    "CREATE OR REPLACE FUNCTION render_version_practice_verifications() RETURNS trigger AS $$ BEGIN IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND TRUE) THEN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = OLD.thread_id; END IF; IF TG_OP <> 'DELETE' THEN UPDATE posts SET render_version = render_version + 1 WHERE thread_id = NEW.thread_id; END IF; RETURN NULL; END; $$ LANGUAGE plpgsql",
    'CREATE TRIGGER render_version_practice_verifications AFTER INSERT OR UPDATE OR DELETE ON practice_verifications FOR EACH ROW EXECUTE FUNCTION render_version_practice_verifications()',
]
SQLITE_NAMES = [s.split()[2] for s in SQLITE]


def upgrade():
    # A plain ADD COLUMN: on SQLite a rebuilt posts table would cascade-delete what refers to it.
    op.add_column(
        "posts", sa.Column("render_version", sa.Integer(), server_default="0", nullable=False)
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL:
            if statement.startswith("CREATE TRIGGER"):
                words = statement.split()
                op.execute(f"DROP TRIGGER {words[2]} ON {words[words.index('ON') + 1]}")
        for statement in POSTGRESQL:
            if statement.startswith("CREATE OR REPLACE FUNCTION"):
                op.execute(f"DROP FUNCTION {statement.split()[4].split('(')[0]}()")
    else:
        for name in SQLITE_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_column("posts", "render_version")
