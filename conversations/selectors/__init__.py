"""Every read of conversations, already scoped to who asks. Split by concern into submodules."""
