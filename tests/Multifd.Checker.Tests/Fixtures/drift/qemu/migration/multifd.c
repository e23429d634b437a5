/* Fixture for multifd-verify's drift tests. */

static struct {
    int exiting;
} *multifd_recv_state;

void multifd_recv_terminate_threads(void *err)
{
}

static int multifd_device_state_recv(void *p, void **errp)
{
    multifd_recv_terminate_threads(0);
    return 0;
}
