/* Fixture: vfio_multifd_setup moved here from migration-multifd.c. */

int vfio_multifd_setup(void *dev, int alloc)
{
    return 0;
}

int vfio_load_setup(void *f, void *opaque);
