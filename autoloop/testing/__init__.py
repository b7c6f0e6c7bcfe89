"""Contract test suites for autoloop's extension points, for plug-in authors and for autoloop itself.

Each module holds one pytest class per interface; subclass it in a test module and provide
its fixture (``store_case``, ``executor_case``, ``task_case``, ``strategy_case``, ``optimizer_case``,
``pruner_name``) to check an implementation:

- ``autoloop.testing.checkpoint_stores``: ``CheckpointStoreContract`` for a ``CheckpointStore``.
- ``autoloop.testing.executors``: ``ExecutorContract`` for an ``Executor``.
- ``autoloop.testing.tasks``: ``TaskContract`` for a registered ``Task`` family.
- ``autoloop.testing.strategies``: ``StrategyContract`` for a registered ``SearchStrategy``.
- ``autoloop.testing.optimizers``: ``OptimizerContract`` for a registered ``Optimizer``.
- ``autoloop.testing.pruners``: ``PrunerContract`` for a registered pruner (``pruner_name`` fixture).

The modules need pytest (``pip install pytest``, in the ``[test]`` extra of ``autoloop-tuner``); importing this package does not.
"""
