from kasa_ops.cli import app

app()
