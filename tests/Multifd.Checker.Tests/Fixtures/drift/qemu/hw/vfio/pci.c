/* Fixture: properties as quoted names. */
static const char *props[] = {
    "x-migration-multifd-transfer",
    "x-migration-max-queued-buffers-size",
};
