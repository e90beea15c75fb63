"""moto's server for vidpush's tests, with one difference: DynamoDB requests run one at a time.

moto serves requests on threads and does not lock a table while it checks a transaction's
conditions and writes, so two racing conditional transactions can both succeed, which DynamoDB
(whose transactions are serializable) never allows. Serializing DynamoDB requests restores that
guarantee; S3 and SQS stay concurrent, so an SQS long poll does not hold anything up.

Usage: python moto_server.py HOST PORT
"""

import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

DYNAMODB = threading.Lock()


def serialize_dynamodb(app):
    def wrapped(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("DynamoDB_"):
            with DYNAMODB:
                # The body is produced inside the lock: moto does its work before returning.
                return list(app(environ, start_response))
        return app(environ, start_response)

    return wrapped


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    run_simple(
        host,
        port,
        serialize_dynamodb(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
