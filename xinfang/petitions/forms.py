"""Form pieces of the registration desk: several files in one field, checked by content
(xinfang.petitions.attachments) so that the form can say which file is refused and why before anything is
written; the services check again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinfang.petitions.attachments import ACCEPT, MAX_FILES, AttachmentRefused, attachment_check, max_bytes, size_text


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (up to MAX_FILES), each checked by attachment_check; a list when clean."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"一次最多上传{MAX_FILES}个附件。", code="too_many")
        errors = []
        for f in files:
            try:
                attachment_check(f)
            except AttachmentRefused as e:
                errors.append(forms.ValidationError(str(e), code="refused"))
        if errors:
            raise forms.ValidationError(errors)
        return files


def attachments_help() -> str:
    return _("PDF, JPEG, PNG, TIFF, WebP, HEIC, Word or Excel; at most %(size)s each.") % {
        "size": size_text(max_bytes())
    }


class AttachmentUploadForm(forms.Form):
    """Adding files to a registered petition (its page's 附件 card)."""

    files = MultipleFileField(label=_("files"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = attachments_help()
