"""action_id / callback_id / block_id constants shared by view builders and listeners.

A builder that emits a button and the listener that answers it must agree on its id;
both import it from here, so a rename cannot leave one side behind.
"""

from core.notifier import RETRY_ACTION
from core.reconcile.report import REFUND_ACTION

COMMAND = "/meter"

# The contracts message
CONTRACT_PICKER_BLOCK = "meter_contract_picker"
CONTRACT_PICKER = "meter_pick_contracts"  # multi_external_select; options load by product
ENTER_USAGE = "meter_enter_usage"  # button: opens the enter-usage modal for the picked ones
CONTRACTS_PREV = "meter_contracts_prev"  # paging buttons: value "product_id|page"
CONTRACTS_NEXT = "meter_contracts_next"

# The enter-usage modal: one number input per (customer, dimension)
ENTER_USAGE_VIEW = "meter_enter_usage_view"
QUANTITY_ACTION = "quantity"
QUANTITY_BLOCK_PREFIX = "qty"  # block_id: qty:<customer_id>:<dimension_id>

# The confirm view pushed on top, and the result shown after sending
CONFIRM_VIEW = "meter_confirm_send_view"
RESULT_VIEW = "meter_send_result_view"
LOADING_VIEW = "meter_loading_view"

# Failure notifications carry RETRY_ACTION (declared in core.notifier for the scheduler)
RETRY_RECORDS = RETRY_ACTION

# Home tab
HOME_REFRESH = "meter_home_refresh"

# A usage file shared with the bot: the preview's buttons (value: the upload id), the
# confirm modal (private_metadata: the upload id)
UPLOAD_REVIEW = "meter_upload_review"
UPLOAD_DISCARD = "meter_upload_discard"
UPLOAD_CONFIRM_VIEW = "meter_upload_confirm_view"

# "Request refund" on an over-charged invoice finding (value: the finding id), its form
# (private_metadata: finding id and channel) and the confirm view pushed over it
REQUEST_REFUND = REFUND_ACTION
REFUND_FORM_VIEW = "meter_refund_form_view"
REFUND_CONFIRM_VIEW = "meter_refund_confirm_view"
REFUND_AMOUNT_BLOCK = "refund_amount"
REFUND_AMOUNT = "amount"
REFUND_DESCRIPTION_BLOCK = "refund_description"
REFUND_DESCRIPTION = "description"


def quantity_block_id(customer_id: int, dimension_id: int) -> str:
    return f"{QUANTITY_BLOCK_PREFIX}:{customer_id}:{dimension_id}"


def parse_quantity_block_id(block_id: str) -> tuple[int, int] | None:
    """(customer id, dimension id) from a quantity block id; None for any other block."""
    prefix, _, rest = block_id.partition(":")
    customer, _, dimension = rest.partition(":")
    if prefix != QUANTITY_BLOCK_PREFIX or not customer.isdigit() or not dimension.isdigit():
        return None
    return int(customer), int(dimension)
