"""Reading and writing offline (issue 23): the manifest, the service worker, the offline page."""
