"""Seed the China working-day calendar with every year the chinesecalendar package knows."""

from datetime import date

from django.db import migrations


def seed_from_package(apps, schema_editor):
    from aftersales.core.services import package_note, package_schedule, package_years

    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    note = package_note()
    for year in package_years():
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"is_official": True, "source": "package", "note": note}
        )
        CalendarDay.objects.filter(date__range=(date(year, 1, 1), date(year, 12, 31))).delete()
        CalendarDay.objects.bulk_create(
            CalendarDay(calendar_year=calendar_year, date=day, is_working_day=is_working_day, name=name)
            for day, is_working_day, name in package_schedule(year)
        )


def remove_package_years(apps, schema_editor):
    apps.get_model("core", "CalendarYear").objects.filter(source="package").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_from_package, remove_package_years),
    ]
