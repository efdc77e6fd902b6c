from django.db import migrations


def seed(apps, schema_editor):
    from aftersales.commitments.policy_seed import seed_policy

    seed_policy(apps.get_model("commitments", "ServicePolicy"), apps.get_model("commitments", "CommitmentRule"))


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
