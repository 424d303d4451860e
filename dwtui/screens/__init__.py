"""dwtui."""
