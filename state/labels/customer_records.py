"""UI labels for the 360 page's documents card (upload, download) and consent recording."""

LABELS: dict[str, tuple[str, str]] = {
    "records.doc_upload_hint": ("点击或拖入文件（PDF、JPG、PNG、DOCX、XLSX，最大 20 MB）",
                                "Tap or drop a file (PDF, JPG, PNG, DOCX, XLSX, up to 20 MB)"),
    "records.doc_kind": ("文件类别", "Document type"),
    "records.doc_selected": ("已选择：", "Selected: "),
    "records.doc_upload": ("上传文件", "Upload file"),
    "records.doc_uploaded": ("文件已上传。", "File uploaded."),
    "records.doc_no_file": ("请先选择一个文件。", "Choose one file first."),
    "records.doc_too_large": ("文件超过 {max} MB。", "The file is larger than {max} MB."),
    "records.doc_download": ("下载", "Download"),
    "records.consent_record": ("记录授权", "Record consent"),
    "records.consent_dialog": ("记录个人信息授权", "Record personal-information consent"),
    "records.consent_purpose": ("授权用途", "Purpose"),
    "records.consent_decision": ("客户意愿", "Customer's decision"),
    "records.consent_decision.grant": ("同意", "Grants"),
    "records.consent_decision.withdraw": ("撤回", "Withdraws"),
    "records.consent_channel": ("渠道", "Channel"),
    "records.consent_evidence": ("凭证（表单编号、录音编号等，可选）", "Evidence (form no., recording id …, optional)"),
    "records.consent_saved": ("授权已记录。", "Consent recorded."),
    "records.cancel": ("取消", "Cancel"),
    "records.save": ("保存", "Save"),
}
