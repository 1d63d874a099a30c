"""The notifier's copy of the catalog: services, subscribers and what they follow."""
