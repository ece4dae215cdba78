"""The archive on S3-compatible object storage (ARCHIVE_S3_BUCKET): the same ingestion, processing
and signed links, with the files in a bucket (moto stands in for the object store)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from socplan.archive import links, services
from socplan.archive.models import Document

from . import fixtures_scans as scans

moto = pytest.importorskip("moto", reason="moto (test dependency) is not installed")

BUCKET = "socplan-archive-test"


@pytest.fixture
def s3_archive(settings, monkeypatch):
    with moto.mock_aws():
        import boto3

        boto3.client("s3", region_name="eu-central-1").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "archive": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": BUCKET, "region_name": "eu-central-1", "access_key": "test", "secret_key": "test",
                            "default_acl": None, "file_overwrite": False},
            },
        }
        storages._storages.pop("archive", None)
        # A FileField resolves its storage once, when the model is loaded (as a server does at start).
        from socplan.archive.models import Page

        for model, name in ((Document, "original"), (Document, "pdf"), (Page, "image")):
            monkeypatch.setattr(model._meta.get_field(name), "storage", storages["archive"])
        yield boto3.client("s3", region_name="eu-central-1")
        storages._storages.pop("archive", None)


@pytest.mark.django_db
def test_a_document_is_stored_processed_and_served_from_the_bucket(s3_archive, vtr_dsp, directorate, as_user, django_capture_on_commit_callbacks):
    data = scans.text_pdf_bytes([scans.FORM_TEXT])
    with django_capture_on_commit_callbacks(execute=True):
        document = services.document_ingest(
            directorate=vtr_dsp, file=ContentFile(data, name="zayavlenie.pdf"), source=Document.Source.UPLOAD
        ).document
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error

    keys = {o["Key"] for o in s3_archive.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert document.original.name in keys and document.pages.get().image.name in keys
    assert s3_archive.get_object(Bucket=BUCKET, Key=document.original.name)["Body"].read() == data

    url, _expires = links.sign(document, "pdf", user=directorate)
    response = as_user(directorate).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert reverse("archive:file", kwargs={"token": url.rstrip("/").rsplit("/", 1)[-1]}) == url
