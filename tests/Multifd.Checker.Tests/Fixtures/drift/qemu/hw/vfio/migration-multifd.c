/* Fixture for multifd-verify's drift tests: stubs with QEMU's names, no QEMU code. */

typedef struct VFIOMultifd {
    int load_buf_idx;
    int load_buf_idx_last;
} VFIOMultifd;

static int vfio_load_state_buffer_insert(void *dev,
                                         void *packet)
{
    return 0;
}

/* renamed from vfio_load_bufs_thread_want_exit */
static int vfio_load_bufs_thread_wants_exit(void *multifd)
{
    return 0;
}

static void *
vfio_load_bufs_thread(void *opaque)
{
    vfio_load_state_buffer_insert(0, 0);
    return 0;
}

#define VFIO_STUB_MACRO(x) (x)
