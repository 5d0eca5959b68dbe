"""What the storefront shows besides the catalogue: announcements and recommendations."""
