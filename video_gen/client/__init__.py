"""HTTP clients: they speak HTTP only (session, auth, retries, typed errors), never print."""

from video_gen.client.retry import RetryPolicy
from video_gen.client.videos import VideosClient

__all__ = ["RetryPolicy", "VideosClient"]
