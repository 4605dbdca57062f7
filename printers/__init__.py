"""Printed and displayed artefacts: QR images, standee posters (receipts and slips come with printing)."""
