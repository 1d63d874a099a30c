"""Reports: a service's month against its agreement, published monthly and on demand."""
