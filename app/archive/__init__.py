"""The case file (案卷) and archiving (归档): a closed case's printed forms, timeline and signed
papers as one PDF, numbered, checksummed, kept for the retention period and found again by
case or case file number; and the seven-step practice (委托、受理、办理、送达、归档、上报、回访)
read from the record. The step itself is app/domain/archiving.py."""
