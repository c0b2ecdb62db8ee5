"""Pure scoring engine of Thi Đua.

Plain Python + numpy only: no web, database or task-queue imports, so the same
code scores a single entry in a request and a whole campaign in a worker, and
can be tested in isolation. Time and randomness are always passed in.
"""
