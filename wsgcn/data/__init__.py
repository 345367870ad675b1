"""Dataset access: image ids and lists, image-level labels, images and masks."""
